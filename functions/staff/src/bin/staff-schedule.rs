fn main() -> shared::lambda::Result {
    shared::lambda::serve(&staff::schedule::OP)
}
