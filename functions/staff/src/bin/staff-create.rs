fn main() -> shared::lambda::Result {
    shared::lambda::serve(&staff::create::OP)
}
