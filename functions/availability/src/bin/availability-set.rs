fn main() -> shared::lambda::Result {
    shared::lambda::serve(&availability::availability_set::OP)
}
