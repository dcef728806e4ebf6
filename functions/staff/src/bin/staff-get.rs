fn main() -> shared::lambda::Result {
    shared::lambda::serve(&staff::get::OP)
}
