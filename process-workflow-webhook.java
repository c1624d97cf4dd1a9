///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/*.java
//MAIN ProcessWorkflowWebhook
class ProcessWorkflowWebhook { public static void main(String[] a) {} }
