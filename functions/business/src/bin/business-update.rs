fn main() -> shared::lambda::Result {
    shared::lambda::serve(&business::update::OP)
}
