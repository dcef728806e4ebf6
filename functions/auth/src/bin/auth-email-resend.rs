fn main() -> shared::lambda::Result {
    shared::lambda::serve(&auth::email_resend::OP)
}
