fn main() -> shared::lambda::Result {
    shared::lambda::serve(&auth::logout::OP)
}
