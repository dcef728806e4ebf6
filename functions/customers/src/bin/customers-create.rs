fn main() -> shared::lambda::Result {
    shared::lambda::serve(&customers::create::OP)
}
