fn main() -> shared::lambda::Result {
    shared::lambda::serve(&locations::delete::OP)
}
