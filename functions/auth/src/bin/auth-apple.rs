fn main() -> shared::lambda::Result {
    shared::lambda::serve(&auth::apple::OP)
}
