fn main() -> shared::lambda::Result {
    shared::lambda::serve(&housekeeping::run::OP)
}
