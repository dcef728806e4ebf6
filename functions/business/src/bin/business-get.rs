fn main() -> shared::lambda::Result {
    shared::lambda::serve(&business::get::OP)
}
