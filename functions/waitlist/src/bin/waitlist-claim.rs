fn main() -> shared::lambda::Result {
    shared::lambda::serve(&waitlist::claim::OP)
}
