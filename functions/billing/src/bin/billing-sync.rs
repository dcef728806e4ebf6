fn main() -> shared::lambda::Result {
    shared::lambda::serve(&billing::sync::OP)
}
