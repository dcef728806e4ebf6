fn main() -> shared::lambda::Result {
    shared::lambda::serve(&customers::activity::OP)
}
