fn main() -> shared::lambda::Result {
    shared::lambda::serve(&availability::slots_get::OP)
}
