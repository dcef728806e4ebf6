fn main() -> shared::lambda::Result {
    shared::lambda::serve(&locations::list::OP)
}
