fn main() -> shared::lambda::Result {
    shared::lambda::serve(&services::delete::OP)
}
