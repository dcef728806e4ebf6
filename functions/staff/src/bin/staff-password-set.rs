fn main() -> shared::lambda::Result {
    shared::lambda::serve(&staff::password_set::OP)
}
