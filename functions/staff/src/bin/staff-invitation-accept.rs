fn main() -> shared::lambda::Result {
    shared::lambda::serve(&staff::invitation_accept::OP)
}
