fn main() -> shared::lambda::Result {
    shared::lambda::serve(&waitlist::offer::OP)
}
