fn main() -> shared::lambda::Result {
    shared::lambda::serve(&billing::subscription_cancel::OP)
}
