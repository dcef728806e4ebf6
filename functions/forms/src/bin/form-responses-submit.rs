fn main() -> shared::lambda::Result {
    shared::lambda::serve(&forms::submit::OP)
}
