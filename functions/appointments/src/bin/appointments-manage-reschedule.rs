fn main() -> shared::lambda::Result {
    shared::lambda::serve(&appointments::manage_reschedule::OP)
}
