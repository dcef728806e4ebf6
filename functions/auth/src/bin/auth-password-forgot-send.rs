fn main() -> shared::lambda::Result {
    shared::lambda::serve(&auth::password_forgot_send::OP)
}
