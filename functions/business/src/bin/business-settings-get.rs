fn main() -> shared::lambda::Result {
    shared::lambda::serve(&business::settings_get::OP)
}
