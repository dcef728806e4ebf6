fn main() -> shared::lambda::Result {
    shared::lambda::serve(&reviews::public_list::OP)
}
