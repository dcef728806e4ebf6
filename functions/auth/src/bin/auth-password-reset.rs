fn main() -> shared::lambda::Result {
    shared::lambda::serve(&auth::password_reset::OP)
}
