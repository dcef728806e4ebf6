fn main() -> shared::lambda::Result {
    shared::lambda::serve(&notifications::reminders::TWO_HOURS)
}
