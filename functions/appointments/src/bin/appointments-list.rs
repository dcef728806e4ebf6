fn main() -> shared::lambda::Result {
    shared::lambda::serve(&appointments::list::OP)
}
