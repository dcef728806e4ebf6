fn main() -> shared::lambda::Result {
    shared::lambda::serve(&campaigns::list::OP)
}
