fn main() -> shared::lambda::Result {
    shared::lambda::serve(&services::public_list::OP)
}
