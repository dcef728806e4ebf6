fn main() -> shared::lambda::Result {
    shared::lambda::serve(&billing::trial_check::OP)
}
