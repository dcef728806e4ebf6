fn main() -> shared::lambda::Result {
    shared::lambda::serve(&availability::override_set::OP)
}
