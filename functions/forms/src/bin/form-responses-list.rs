fn main() -> shared::lambda::Result {
    shared::lambda::serve(&forms::responses::OP)
}
