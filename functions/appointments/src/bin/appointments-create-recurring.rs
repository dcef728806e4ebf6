fn main() -> shared::lambda::Result {
    shared::lambda::serve(&appointments::recurring::OP)
}
