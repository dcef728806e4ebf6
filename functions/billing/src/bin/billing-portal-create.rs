fn main() -> shared::lambda::Result {
    shared::lambda::serve(&billing::portal_create::OP)
}
