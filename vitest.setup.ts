// Registers toHaveReceivedCommandWith & co. (aws-sdk-client-mock) with vitest, types included.
import 'aws-sdk-client-mock-vitest/extend';
