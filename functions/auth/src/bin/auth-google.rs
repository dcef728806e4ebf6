fn main() -> shared::lambda::Result {
    shared::lambda::serve(&auth::google::OP)
}
