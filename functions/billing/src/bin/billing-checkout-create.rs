fn main() -> shared::lambda::Result {
    shared::lambda::serve(&billing::checkout_create::OP)
}
