fn main() -> shared::lambda::Result {
    shared::lambda::serve(&calendar::connect::OP)
}
