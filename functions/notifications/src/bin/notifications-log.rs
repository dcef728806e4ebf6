fn main() -> shared::lambda::Result {
    shared::lambda::serve(&notifications::log::OP)
}
