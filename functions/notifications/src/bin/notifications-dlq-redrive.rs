fn main() -> shared::lambda::Result {
    shared::lambda::serve(&notifications::redrive::OP)
}
