fn main() -> shared::lambda::Result {
    shared::lambda::serve(&calendar::webhook::OP)
}
