fn main() -> shared::lambda::Result {
    shared::lambda::serve(&notifications::reminders::DAY_BEFORE)
}
