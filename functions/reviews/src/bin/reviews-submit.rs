fn main() -> shared::lambda::Result {
    shared::lambda::serve(&reviews::submit::OP)
}
