fn main() -> shared::lambda::Result {
    shared::lambda::serve(&forms::delete::OP)
}
