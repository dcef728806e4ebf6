fn main() -> shared::lambda::Result {
    shared::lambda::serve(&reviews::moderate::OP)
}
