fn main() -> shared::lambda::Result {
    shared::lambda::serve(&availability::schedule::OP)
}
