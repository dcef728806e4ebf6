fn main() -> shared::lambda::Result {
    shared::lambda::serve(&appointments::status_set::OP)
}
