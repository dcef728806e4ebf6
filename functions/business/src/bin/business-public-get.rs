fn main() -> shared::lambda::Result {
    shared::lambda::serve(&business::public_get::OP)
}
