fn main() -> shared::lambda::Result {
    shared::lambda::serve(&reviews::request::OP)
}
