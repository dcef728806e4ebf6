fn main() -> shared::lambda::Result {
    shared::lambda::serve(&appointments::ics::OP)
}
