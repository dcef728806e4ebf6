fn main() -> shared::lambda::Result {
    shared::lambda::serve(&campaigns::unsubscribe::OP)
}
